//! The categories a new customer starts with, in the customer's language.

use crate::model::Language;

/// A default category: its name and keywords, in the order shown to users.
#[derive(Debug, Clone, Copy)]
pub struct DefaultCategory {
    pub name: &'static str,
    pub keywords: &'static str,
}

const SPANISH: &[DefaultCategory] = &[
    DefaultCategory {
        name: "Comida",
        keywords: "almuerzo,cena,desayuno,once,café,cafe,restaurante,restorán,comida,sushi,pizza,\
                   completo,empanada,empanadas,hamburguesa,tacos,taco,helado,pan,rappi,pedidosya,\
                   ubereats,starbucks,mcdonalds,burger,kfc,domicilio,delivery,bebida,menú,menu",
    },
    DefaultCategory {
        name: "Supermercado",
        keywords: "supermercado,súper,super,jumbo,lider,líder,unimarc,tottus,santa isabel,walmart,\
                   soriana,chedraui,carrefour,coto,éxito,exito,d1,ara,feria,verduras,frutas,\
                   mercadería,mercaderia,abarrotes,despensa",
    },
    DefaultCategory {
        name: "Transporte",
        keywords: "uber,didi,cabify,taxi,metro,bus,micro,colectivo,bencina,gasolina,nafta,copec,\
                   shell,petrobras,ypf,estacionamiento,parking,peaje,tag,bip,subte,transmilenio,\
                   pasaje,vuelo,avión",
    },
    DefaultCategory {
        name: "Hogar",
        keywords: "arriendo,alquiler,renta,luz,agua,gas,internet,enel,aguas andinas,metrogas,\
                   gastos comunes,expensas,ferretería,sodimac,easy,homecenter,muebles,limpieza",
    },
    DefaultCategory {
        name: "Salud",
        keywords: "farmacia,doctor,médico,medico,dentista,consulta,remedios,medicamentos,\
                   cruz verde,ahumada,salcobrand,similares,isapre,fonasa,examen,clínica,clinica",
    },
    DefaultCategory {
        name: "Entretenimiento",
        keywords: "cine,netflix,spotify,disney,hbo,concierto,bar,cerveza,cervezas,trago,tragos,\
                   juego,juegos,steam,playstation,entradas,teatro,fiesta",
    },
    DefaultCategory {
        name: "Compras",
        keywords: "ropa,zapatos,zapatillas,polera,camisa,mercadolibre,mercado libre,amazon,\
                   falabella,paris,ripley,liverpool,zara,h&m,regalo,aliexpress,shein",
    },
    DefaultCategory {
        name: "Educación",
        keywords: "colegio,universidad,curso,libro,libros,matrícula,matricula,mensualidad,\
                   útiles,utiles,clases",
    },
    DefaultCategory {
        name: "Servicios",
        keywords: "teléfono,telefono,celular,plan,entel,movistar,claro,wom,telcel,suscripción,\
                   suscripcion,seguro,banco,comisión,comision,peluquería,peluqueria",
    },
    DefaultCategory {
        name: "Otros",
        keywords: "",
    },
];

const ENGLISH: &[DefaultCategory] = &[
    DefaultCategory {
        name: "Food",
        keywords: "lunch,dinner,breakfast,coffee,restaurant,food,sushi,pizza,burger,tacos,snack,\
                   starbucks,mcdonalds,ubereats,doordash,grubhub,takeout,delivery,drinks",
    },
    DefaultCategory {
        name: "Groceries",
        keywords: "groceries,grocery,supermarket,walmart,target,costco,kroger,safeway,aldi,\
                   trader joes,whole foods,market",
    },
    DefaultCategory {
        name: "Transport",
        keywords: "uber,lyft,taxi,cab,subway,metro,bus,train,gas,fuel,parking,toll,flight",
    },
    DefaultCategory {
        name: "Home",
        keywords: "rent,electricity,water,internet,utilities,hardware,furniture,cleaning",
    },
    DefaultCategory {
        name: "Health",
        keywords: "pharmacy,doctor,dentist,medicine,cvs,walgreens,clinic,hospital,copay",
    },
    DefaultCategory {
        name: "Entertainment",
        keywords: "movie,movies,cinema,netflix,spotify,disney,hbo,concert,bar,beer,games,steam,\
                   tickets,theater",
    },
    DefaultCategory {
        name: "Shopping",
        keywords: "clothes,shoes,amazon,ebay,gift,shirt,mall",
    },
    DefaultCategory {
        name: "Education",
        keywords: "school,college,university,course,book,books,tuition,class",
    },
    DefaultCategory {
        name: "Services",
        keywords: "phone,cell,subscription,insurance,bank,fee,haircut",
    },
    DefaultCategory {
        name: "Other",
        keywords: "",
    },
];

/// The default categories for a language; the last one is the catch-all.
pub fn defaults(language: Language) -> &'static [DefaultCategory] {
    match language {
        Language::Spanish => SPANISH,
        Language::English => ENGLISH,
    }
}

/// Keywords of a default category as stored: commas only, no layout spaces.
pub fn keywords_column(category: &DefaultCategory) -> String {
    category
        .keywords
        .split(',')
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}
